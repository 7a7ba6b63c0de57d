"""`dftriage review`: a local web app to look through a case and record the examiner's decisions."""
