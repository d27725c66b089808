"""Paper trading inside the bus: accounts (app.py), their storage (store.py), the consumer that
applies signals and bars to them (consumer.py) and the gRPC handlers (handlers.py)."""
