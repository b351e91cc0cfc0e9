"""Safe hands on a production panel: the audit trail, protected profiles, undo and automatic revert.

How it hooks in (small hooks, everything else lives here):
* the one API client calls `SafetyRun.before_write`/`after_write` around every POST/PUT/PATCH/DELETE
  (run.py): the trail learns each target and outcome, and a protected profile's gate runs once,
  before the first write of the run (`ctx.confirm` and the bulk runner run it earlier, before any work);
* the `@command` decorator gives changing verbs `--reason`/`--confirm-profile`, and undoable verbs
  `--revert-after` (options.py);
* verbs that change settings, flags, geo-block rules, rollouts, roles or role assignments call
  `undo.remember(...)` once before their write (undo.py holds the restore logic per kind);
* main.run calls `finish_run` once at the end: undo record, revert watcher, then one trail line.

Files live in the state dir (store.py): `audit.jsonl`, `undo/<id>.json`, `revert/<id>.log|.pid`.
"""
