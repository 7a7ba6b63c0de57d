"""One module per `dftriage` sub-command (see scanner/cli.py)."""
