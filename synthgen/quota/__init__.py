"""Class x attribute quotas for generate and augment (see :mod:`synthgen.quota.spec`).

Submodules are imported where needed: :mod:`synthgen.recipe` needs the spec only, the
engine the run hooks."""
