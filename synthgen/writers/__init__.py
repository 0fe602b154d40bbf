"""Writers: each encodes labeled samples in one format. See :mod:`synthgen.writers.base`."""
