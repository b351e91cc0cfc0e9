"""Generated help screens (scripts/gen_docs.py): `eclictl ... --help` is answered from here.

One module per top-level command (`users.py` holds `eclictl users` and every command below it),
`_root.py` holds `eclictl --help`. Do not edit them by hand; eclictl/helpfmt.py explains the format.
"""
