"""govgate's built-in collectors, one module each, registered through the same hooks as
third-party collectors (each module is a plugin implementing `govgate_collectors`)."""
