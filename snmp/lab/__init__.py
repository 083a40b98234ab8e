"""Simulated OLT lab: snmprec data generation and an snmpsim-based agent."""
