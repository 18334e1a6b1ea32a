"""Reports layer: one contract for every appendix (inputs, parameters, banner, sources, data files),
charts, Markdown tables, rendering and the index. Imports from core, sources and derive.
"""
