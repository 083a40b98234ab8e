"""The queue side of oltwatch: dispatch, the worker entry point, locks."""
