"""Generators: each turns (config, rng) into a Sample. See :mod:`synthgen.generators.base`."""
