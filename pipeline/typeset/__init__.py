"""Stage 2, typeset: the grid of GB/T 9704, fonts by role, measuring, line composition and titles."""
