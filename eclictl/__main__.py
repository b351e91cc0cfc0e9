"""`python -m eclictl`."""

from eclictl.main import main

main()
