"""Multi-agent debate (Du et al. 2023): accuracy of the agents' majority against rounds and
agents, with the exact majority-vote theory for simulated agents. See docs/multi-agent.md.
"""
