"""Analysis of trained runs: model choice, evaluation, explanations, comparison, fairness."""
