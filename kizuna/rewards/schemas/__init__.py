"""Request and response shapes of the rewards API, one module per part: the catalog, claims
and the wallet (`catalog`)."""
