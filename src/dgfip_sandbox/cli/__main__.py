"""``python -m dgfip_sandbox.cli``: the same as the ``dgfip-sandbox`` command."""

from dgfip_sandbox.cli import main

main()
