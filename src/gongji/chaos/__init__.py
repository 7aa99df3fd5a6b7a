"""The bank test after Jepsen's: clients drive a real server while a nemesis kills it."""
