"""Trainers of what every answering persona reads: the small-talk head (`make train-small-talk`)."""
