"""Model monitoring that needs no transport: drift statistics against a training reference."""
