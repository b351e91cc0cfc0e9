"""eclictl: the command-line tool for the EcliPanel Staff Portal."""

__version__ = "0.1.0"
