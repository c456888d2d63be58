"""`python -m devctl` runs the CLI."""

from devctl.cli.main import main

if __name__ == "__main__":
    main()
