"""Measuring: ranking and rating metrics, a run against its peers on the same split, plots, fold-in quality."""
