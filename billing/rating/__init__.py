"""Partner earned credit decided per day, rating to the cent, unbilled views, spend and budgets."""
