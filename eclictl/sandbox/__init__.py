"""The built-in demo panel (stdlib only): `Sandbox(seed=0)`."""

from eclictl.sandbox.handler import Sandbox

__all__ = ["Sandbox"]
