"""One module per `ke-intake` subcommand; each defines `register(subparsers)`."""
