"""The demo world: simulated nights against local API simulators. Nothing on the load or
transform path imports it."""
