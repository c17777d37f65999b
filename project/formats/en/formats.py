# One date format across the dashboard and Django admin, always with the time zone
# (templates that pass an explicit format use the same one: "j M Y, H:i T").
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i T"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i T"
