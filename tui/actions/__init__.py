"""Actions on domains and hosts from the dashboard: forms, confirmations, progress, the
action log and console attach, all through :class:`collectors.control.seam.ControlSeam`."""
