"""The reference tables: départements, régions, Territoires d'industrie, display labels.

Takes in the small curated tables of data/reference/ (CSV, each with a .md saying where it comes
from); hands on territories (`geography.Territory`) and short display labels (`labels`).
"""
