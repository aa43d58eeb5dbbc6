"""The sparse-pixel MNIST judge of Irving et al. 2018 (torch; import only when needed).

``config`` (recipe), ``network`` (the CNN), ``training`` and ``checkpoint`` (train once, reuse),
``evaluator`` (batched, cached calls for search) and ``judge`` (the engine's Judge role).
"""
