"""Search players for set games (the pixel debate): MCTS and a greedy baseline."""

from debate.search.game import MAXIMISER, MINIMISER, Player, Search, SetGame, State, drive
from debate.search.greedy import Greedy
from debate.search.mcts import MCTS

__all__ = [
    "MAXIMISER",
    "MCTS",
    "MINIMISER",
    "Greedy",
    "Player",
    "Search",
    "SetGame",
    "State",
    "drive",
]
