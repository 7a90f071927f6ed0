"""What every persona does before anything else when someone may be in danger: recognise an emergency happening
now, and give the region's numbers (the crisis resources table)."""
