"""The compute scheduler: picks hosts for instances and claims them in placement."""
