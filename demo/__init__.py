"""The demo world, beside the product: simulated nights against local API simulators. Only a
clone installs it (demo/pyproject.toml); the product imports it in `contacts-elt demo` and
`simulate` alone."""
