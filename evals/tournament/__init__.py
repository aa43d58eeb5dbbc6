"""Cross-play tournaments: every ordered pair of debaters on the same questions, ratings of
their persuasiveness from the verdicts, and judge accuracy against those ratings (Khan et
al. 2024) and Guard/Houdini oversight scaling (Engels et al. 2025). See docs/tournaments.md.
"""
