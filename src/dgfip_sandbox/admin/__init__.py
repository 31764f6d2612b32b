"""Consumer administration (one service used by the CLI and the admin API), the admin app and the developer portal."""
