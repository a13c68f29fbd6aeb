"""End-to-end tests: everything that starts the stack (``make run``'s processes) or a browser (marker ``e2e``)."""
