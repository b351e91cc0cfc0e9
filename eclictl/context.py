"""AppContext: settings, IO streams, output options, and a lazily built API client.

Like gh's Factory: the HTTP client is only built when a command needs it, and tests inject
IO, environment, transport and sleep through `Factory` without monkeypatching.
"""

from __future__ import annotations

import contextvars
import os
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, TextIO

from eclictl.config import Settings, config_path, load_config, resolve_settings, update_profile
from eclictl.errors import AuthError, RejectedError, UsageError

if TYPE_CHECKING:
    from eclictl.api.client import ApiClient
    from eclictl.output.redact import PrivacyState, Redactor
    from eclictl.output.render import Renderer


@dataclass
class IOStreams:
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    stdin_tty: bool
    stdout_tty: bool
    stderr_tty: bool

    @classmethod
    def system(cls) -> "IOStreams":
        def tty(stream: Any) -> bool:
            try:
                return bool(stream.isatty())
            except (AttributeError, ValueError):
                return False

        return cls(sys.stdin, sys.stdout, sys.stderr, tty(sys.stdin), tty(sys.stdout), tty(sys.stderr))


@dataclass
class Factory:
    """What the outside world provides; tests replace any part of it."""

    io: IOStreams = field(default_factory=IOStreams.system)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    transport: Any = None  # an httpx transport (the sandbox's MockTransport in tests)
    sleep: Callable[[float], None] = time.sleep
    open_browser: Callable[[str], bool] | None = None
    argv: tuple[str, ...] = ()  # the command line as typed (main.run fills it): echoed, never masked
    spawn: Callable[..., int] | None = None  # starts the detached revert watcher (eclictl/safety/revert.py)
    clock: Callable[[], float] = time.time  # wall clock: progress delays, relative times in tables


_current: contextvars.ContextVar["AppContext"] = contextvars.ContextVar("eclictl_app_context")


def current() -> "AppContext":
    """The AppContext of the running command (set by the root callback)."""
    try:
        return _current.get()
    except LookupError:  # pragma: no cover - only when a command runs outside the app
        ctx = AppContext(Factory(), {})
        _current.set(ctx)
        return ctx


def context_of(factory: Factory) -> "AppContext | None":
    """The AppContext the run with this factory created (None when it never got that far)."""
    ctx = _current.get(None)
    return ctx if ctx is not None and ctx.factory is factory else None


class AppContext:
    def __init__(self, factory: Factory, flags: Mapping[str, Any]) -> None:
        self.factory = factory
        self.io = factory.io
        self.env = factory.env
        self.flags = dict(flags)
        self._config: dict[str, Any] | None = None
        self._settings: Settings | None = None
        self._api: ApiClient | None = None
        self.verbose = bool(flags.get("verbose"))
        # Set by a bulk verb's --journal/--resume (options.apply_bulk_options); read by BulkRunner.
        self.bulk_journal: str | None = None
        self.bulk_resume: str | None = None
        self.bulk_identity: dict[str, Any] | None = None  # command, arguments, panel: a journal's header
        self.debug = self.env.get("ECLICTL_DEBUG", "") not in ("", "0")
        self.no_color = bool(flags.get("no_color")) or "NO_COLOR" in self.env or not self.io.stdout_tty
        # Output options: the root callback sets them; each verb may override.
        self.output: str | None = flags.get("output")
        self.columns: list[str] | None = None
        self.sort_by: str | None = None
        self.no_headers = False
        self._privacy: PrivacyState | None = None
        # Set by @command(config=True): the verb shows configuration (settings, profiles), not people.
        self.shows_config = False
        self.redact_flag: bool | None = flags.get("redact")
        self.redact_servers_flag: bool | None = flags.get("redact_servers")
        self.redact_orgs_flag: bool | None = flags.get("redact_orgs")
        self.notes: list[str] = []
        self._rendering = False
        self._reporter: Any = None
        self._privacy_checked = False
        self._config_mode_warned = False
        self._warned_http = False

    def activate(self) -> None:
        _current.set(self)

    @property
    def safety(self) -> Any:
        """This run's audit/gate/undo state (eclictl/safety/run.py), created on first use."""
        run = self.__dict__.get("_safety")
        if run is None:
            from eclictl.safety.run import SafetyRun

            run = self.__dict__["_safety"] = SafetyRun(self)
        return run

    # -- configuration --------------------------------------------------------------------
    @property
    def config_file(self):  # type: ignore[no-untyped-def]
        return config_path(self.env)

    @property
    def config(self) -> dict[str, Any]:
        if self._config is None:
            self._config = load_config(self.config_file)
            self._warn_loose_config()
        return self._config

    def _warn_loose_config(self) -> None:
        """Once per run: config.toml holds API keys, so other users must not read it."""
        from eclictl.config import loose_mode

        mode = None if self._config_mode_warned else loose_mode(self.config_file)
        if mode is not None:
            self._config_mode_warned = True
            self.io.stderr.write(f"warning: {self.config_file} is open to other users (mode {mode:04o}) and holds "
                                 f"credentials: run chmod 600 {self.config_file}\n")

    def reload_config(self) -> None:
        self._config = None
        self._settings = None

    def save_profile(self, name: str, values: Mapping[str, Any], *, make_current: bool | None = None,
                     replace: bool = False) -> None:
        """Merge values into a profile in config.toml (None removes a key), then read it again."""
        update_profile(self.config_file, name, values, make_current=make_current, replace=replace)
        self.reload_config()

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = resolve_settings(self.flags, self.env, self.config)
        return self._settings

    # -- output ---------------------------------------------------------------------------
    @property
    def output_format(self) -> str:
        if self.output:
            return self.output
        if self.settings.output:
            return self.settings.output
        return "table" if self.io.stdout_tty else "tsv"

    def redact_categories(self) -> frozenset[str]:
        self._maybe_ask_privacy()
        s = self.settings
        cats: set[str] = set()
        redact = self.redact_flag if self.redact_flag is not None else s.redact
        if redact:
            cats.add("pii")
        servers = self.redact_servers_flag if self.redact_servers_flag is not None else s.redact_servers
        orgs = self.redact_orgs_flag if self.redact_orgs_flag is not None else s.redact_orgs
        if servers:
            cats.add("servers")
        if orgs:
            cats.add("orgs")
        return frozenset(cats)

    def _maybe_ask_privacy(self) -> None:
        """First use of a saved profile on a terminal: ask once how sensitive data is shown.

        The portal asks the same the first time it opens (localStorage `eclipanel_admin_privacy`).
        Never asked without a TTY, nor when a flag or ECLICTL_REDACT already decides.
        """
        if self._privacy_checked:
            return
        self._privacy_checked = True
        s = self.settings
        if (not self.interactive or not s.profile_exists or "redact" in s.sources
                or self.redact_flag is not None or "ECLICTL_REDACT" in self.env):
            return
        self.io.stderr.write(
            f"Privacy mode for profile '{s.profile}' (asked once; change it with `eclictl config set redact`).\n"
            "It applies to everything run with this profile, scripts and pipes included "
            "(they can pass --no-redact):\n")
        pii = self._ask_yes_no("  Hide personal data (names, e-mails, addresses, IPs)?", default=True)
        servers = self._ask_yes_no("  Also hide server names?", default=False)
        orgs = self._ask_yes_no("  Also hide organisation names?", default=False)
        self.save_profile(s.profile, {"redact": pii, "redact_servers": servers, "redact_orgs": orgs})

    def _ask_yes_no(self, question: str, *, default: bool) -> bool:
        self.io.stderr.write(f"{question} [{'Y/n' if default else 'y/N'}]: ")
        self.io.stderr.flush()
        answer = self.io.stdin.readline().strip().lower()
        if not answer:
            return default
        return answer in ("y", "yes")

    @property
    def privacy(self) -> "PrivacyState":
        """The run's redaction state: what the user typed, names seen, whether anything was masked."""
        if self._privacy is None:
            from eclictl.output.redact import PrivacyState

            self._privacy = PrivacyState()
            for arg in self.factory.argv:
                self._privacy.add_typed(arg)
        return self._privacy

    def panel_addresses(self) -> set[str]:
        """Addresses in the configured panel and web URLs: configuration, never masked."""
        from eclictl.output.redact import addresses_in

        s = self.settings
        return addresses_in(s.url) | addresses_in(s.web_url)

    def redactor(self) -> "Redactor":
        from eclictl.output.redact import Redactor

        return Redactor(self.redact_categories(), keep=self.panel_addresses(), state=self.privacy)

    def renderer(self) -> "Renderer":
        from eclictl.output.redact import Redactor
        from eclictl.output.render import Renderer, RenderOptions

        redactor = Redactor((), state=self.privacy) if self.shows_config else self.redactor()
        columns = self.env.get("COLUMNS", "")
        opts = RenderOptions(fmt=self.output_format, columns=self.columns, no_headers=self.no_headers,
                             redactor=redactor, color=not self.no_color, sort_by=self.sort_by,
                             now=self.factory.clock(), width=int(columns) if columns.isdigit() else None)
        return Renderer(self.io.stdout, self.io.stderr, opts, tty=self.io.stdout_tty)

    @property
    def output_requested(self) -> bool:
        """-o/--output was given on this command line: the data is wanted on stdout, even with --quiet
        (`--quiet` silences the human report, never data a script asked for)."""
        return self.output is not None

    def emit(self, result: Any) -> None:
        """Render a verb's result; then the notes about what it showed (e.g. only the first page)."""
        self._rendering = True
        try:
            self.renderer().emit(result)
        finally:
            self._rendering = False
            if self._reporter is not None:
                self._reporter.flush_notes()

    @property
    def fetch_reporter(self) -> Any:
        """Progress of paginated fetches and the first-page note (eclictl/output/progress.py)."""
        if self._reporter is None:
            from eclictl.output.progress import FetchReporter

            self._reporter = FetchReporter(self.io.stderr, progress=self.io.stdout_tty and self.io.stderr_tty,
                                           clock=self.factory.clock, rendering=lambda: self._rendering)
        return self._reporter

    def finish(self) -> None:
        """End of the run: say once, and only if something was masked, that output is redacted.

        A table on a terminal gets the footer; anything a script may read (machine formats, or
        stdout not a terminal) gets a note when the redaction comes from the profile rather
        than from this command line or ECLICTL_REDACT, so a script is never silently masked.
        """
        if self._privacy is None or not self._privacy.masked:
            return
        if self.io.stdout_tty and self.output_format == "table":
            if self.io.stderr_tty:
                self.io.stderr.write("(output redacted: personal data is masked; --no-redact to show)\n")
            return
        keys = self._redaction_from_profile()
        if not keys:
            return
        profile = self.settings.profile
        picked = f"-p {profile} " if self.flags.get("profile") or self.env.get("ECLICTL_PROFILE") else ""
        switches = ", ".join(f"{k} = true" for k in keys)
        flags = " ".join("--no-" + k.replace("_", "-") for k in keys)
        commands = "; ".join(f"eclictl {picked}config set {k} false" for k in keys)
        self.io.stderr.write(f"note: output is masked by profile '{profile}' ({switches}); "
                             f"to get real values pass {flags}, or turn it off: {commands}\n")

    def _redaction_from_profile(self) -> list[str]:
        """The active privacy switches that the profile (not a flag or the environment) turned on."""
        s = self.settings
        switches = (("redact", self.redact_flag, s.redact), ("redact_servers", self.redact_servers_flag,
                                                               s.redact_servers),
                    ("redact_orgs", self.redact_orgs_flag, s.redact_orgs))
        return [key for key, flag, value in switches
                if flag is None and value and s.sources.get(key, "").startswith("profile")]

    def info(self, message: str) -> None:
        """A human note on stderr (redacted like everything else; what the user typed is kept)."""
        self.io.stderr.write(self.redactor().message(message) + "\n")

    def warn(self, message: str) -> None:
        self.info(f"warning: {message}")

    def log(self, line: str) -> None:
        if self.verbose:
            self.io.stderr.write(self.redactor().log(line) + "\n")

    # -- interaction ----------------------------------------------------------------------
    @property
    def interactive(self) -> bool:
        return self.io.stdin_tty and self.io.stdout_tty

    def confirm(self, question: str, *, yes: bool, what: str = "this") -> None:
        """Destructive commands never hang a script: no TTY and no --yes refuses (exit 2).

        In a changing verb the profile gate runs first: on a protected profile typing its name
        (or --confirm-profile) is the confirmation, and --yes alone is not enough.
        """
        if self.safety.verb_writes and self.safety.ensure_allowed(question):
            return
        if yes:
            return
        if not self.interactive:
            raise UsageError(f"refusing to {what} without --yes (no terminal to ask)",
                             hint="add --yes to confirm, or --dry-run to preview")
        self.io.stderr.write(f"{question} [y/N]: ")
        self.io.stderr.flush()
        answer = self.io.stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            raise RejectedError("cancelled: nothing was changed")

    def prompt(self, question: str, *, secret: bool = False, default: str | None = None) -> str:
        if not self.io.stdin_tty:
            raise UsageError(f"cannot ask for {question.lower().rstrip(': ')} without a terminal")
        suffix = f" [{default}]" if default else ""
        self.io.stderr.write(f"{question}{suffix}: ")
        self.io.stderr.flush()
        if secret and self.io.stdin is sys.stdin:
            import getpass

            value = getpass.getpass(prompt="", stream=self.io.stderr)
        else:
            value = self.io.stdin.readline().rstrip("\n")
            self.privacy.add_typed(value)  # the user's own answer is echoed as typed
        return value or (default or "")

    def read_ids(self, values: Iterable[str]) -> list[str]:
        """Arguments, with `-` meaning: read ids from stdin (one per line or whitespace-separated)."""
        ids: list[str] = []
        for value in values:
            if value == "-":
                ids.extend(tok for tok in self.io.stdin.read().split() if tok)
            else:
                ids.append(value)
        seen: set[str] = set()
        unique = [i for i in ids if not (i in seen or seen.add(i))]
        for item in unique:  # the user's own input: echoed as typed in reports and messages
            self.privacy.add_typed(item)
        if not unique:
            raise UsageError("no ids given (pass them as arguments or '-' to read stdin)")
        return unique

    def every(self, interval: float, step: Callable[[], None], *, iterations: int | None = None) -> None:
        """Run `step` now and then every `interval` seconds until Ctrl-C, which ends it quietly
        (`iterations` stops it sooner: the hidden --iterations of the watch/follow verbs, for tests)."""
        count = 0
        try:
            while True:
                step()
                count += 1
                if iterations is not None and count >= iterations:
                    return
                self.factory.sleep(interval)
        except KeyboardInterrupt:
            return

    def read_text(self, source: Any, *, label: str | None = None, dash: bool = True, line: bool = False) -> str:
        """A file the user names, or stdin for `-` when `dash` (one line with `line`); an unreadable
        file is bad input (exit 2) named by `label` (default: the path)."""
        if dash and str(source) == "-":
            return self.io.stdin.readline() if line else self.io.stdin.read()
        from pathlib import Path

        try:
            return Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read {label or source}: {exc.strerror or exc}") from None

    # -- the API --------------------------------------------------------------------------
    @property
    def api(self) -> "ApiClient":
        if self._api is None:
            self._api = self.build_client()
            self._api.page_reporter = self.fetch_reporter
            if "pii" in self.redact_categories():
                # Privacy mode learns the names of the people in every response, so that the
                # panel's error text and -v logs can mask them too.
                self._api.observe = self.privacy.learn
        return self._api

    def build_client(self, *, url: str | None = None, api_key: str | None = None,
                     token: str | None = None, require_auth: bool = True) -> "ApiClient":
        from eclictl.api.client import ApiClient

        s = self.settings
        url = url or s.url
        api_key = api_key if api_key is not None else s.api_key
        token = token if token is not None else (None if api_key else s.token)
        if (not url or (require_auth and not api_key and not token)) and not s.profile_exists \
                and s.sources.get("profile") == "env ECLICTL_PROFILE":
            # ECLICTL_PROFILE=NAME with env-only credentials is fine (the revert watcher runs so); when
            # something is missing, the cause is the profile that is not there: say so, as `-p NAME` does.
            from eclictl.config import missing_profile

            raise missing_profile(s.profile, self.config.get("profiles", {}), s.sources["profile"])
        if not url:
            raise UsageError("no panel URL configured",
                             hint="run `eclictl auth login`, pass --url, or set ECLICTL_URL")
        if require_auth and not api_key and not token:
            raise AuthError("no credentials configured for this panel",
                            hint="run `eclictl auth login` or set ECLICTL_API_KEY")
        if token and not api_key:
            self._check_token_expiry()
        if api_key or token:
            self.warn_plain_http(url, "the API key" if api_key else "the session token")
        client = ApiClient(url, api_key=api_key, token=token, csrf_token=s.csrf_token if token else None,
                           timeout=s.timeout, max_retries=s.max_retries, transport=self.factory.transport,
                           sleep=self.factory.sleep, log=self.log if self.verbose else None,
                           pool_size=max(8, s.concurrency))
        client.write_observer = self.safety  # audit trail + protected-profile gate on every write
        if self.verbose:
            from eclictl.api.reqlog import request_log

            client.record = request_log(self.env)  # what -v showed, kept for `doctor --bundle`
        return client

    def warn_plain_http(self, url: str, what: str) -> None:
        """Once per run: a credential is about to cross the network unencrypted."""
        from eclictl.config import plain_http_remote

        if self._warned_http or not plain_http_remote(url):
            return
        self._warned_http = True
        self.io.stderr.write(f"warning: sending {what} over plain http:// to a non-local host; anyone on the "
                             f"path can read it (use https://)\n")

    def _check_token_expiry(self) -> None:
        from datetime import datetime, timezone

        expires = self.settings.token_expires_at
        if not expires:
            return
        try:
            when = datetime.fromisoformat(expires.replace("Z", "+00:00"))
        except ValueError:
            return
        if when <= datetime.now(timezone.utc):
            raise AuthError(f"the stored session for profile '{self.settings.profile}' expired at {expires}",
                            hint=f"log in again: eclictl auth login --profile {self.settings.profile}")

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
