# Models arrive with the issue that owns this app (see docs/architecture.md).
