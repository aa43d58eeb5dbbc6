"""The sparse-pixel MNIST reproduction (Irving et al. 2018): config, runner, report.

Run it with ``debate eval --preset irving-mnist`` (see docs/mnist-debate.md).
"""
