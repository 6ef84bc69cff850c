"""The learned codec: transform coding with a factorized prior, in Flax NNX (Ballé et al. 2017/2018).

Modules, in the order to read them:

* :mod:`learned.layers` -- GDN / IGDN and the up- and down-sampling convolutions;
* :mod:`learned.entropy` -- the fully factorized density model and its integer CDF tables;
* :mod:`learned.model` -- ``g_a``, ``g_s`` and the factorized-prior model; the plain CAE baseline;
* :mod:`learned.data` -- random crops from a folder of images;
* :mod:`learned.train` -- ``python -m learned.train``;
* :mod:`learned.codec` -- ``encode(img) -> bytes`` / ``decode(bytes)`` with :mod:`classical.ans`.

Nothing is imported here, so ``import learned.data`` does not pull in JAX.
"""
