a=end-of-candidates
