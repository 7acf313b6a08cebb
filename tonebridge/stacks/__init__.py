"""Stacks compose constructs: per environment a state bootstrap stack and, per AWS region, an
infrastructure stack. Later issues add platform, DR and global stacks here."""
