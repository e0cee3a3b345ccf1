"""Deep-poverty areas (两高一低一差三重), poverty and inequality indices over the registry, what-if
poverty lines (精准识别的深度: which counties and villages are deepest in poverty, and how deep)."""
