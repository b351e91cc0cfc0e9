"""Empty answers about things that do not exist.

Several panel routes answer 200 with an empty result for an id nobody has: a node's heartbeats
(with 100 % uptime), a server's abuse reports and audit log, a rollout's overrides, SOC usage of a
user or an organisation. A verb that got nothing back checks the thing once before saying "nothing",
so a typo is exit 6 instead of an empty success.
"""

from __future__ import annotations

from typing import Any, Callable

from eclictl.errors import NotFoundError


def confirm_exists(ctx: Any, check: Callable[[], Any], missing: str) -> bool:
    """Run `check` (a read that fails with 404 or NotFoundError when the thing is absent).

    Absent: NotFoundError(missing), exit 6. Present: True. The key may not read it (403): a note,
    and False (the empty answer is shown as it is).
    """
    from eclictl.api.errors import ApiNotFoundError, ApiPermissionError

    try:
        check()
    except (ApiNotFoundError, NotFoundError):
        raise NotFoundError(missing) from None
    except ApiPermissionError:
        ctx.info("(this key may not read it, so whether it exists was not checked: "
                 "the panel answers the same for an unknown id)")
        return False
    return True
