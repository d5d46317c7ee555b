"""What the domain needs from the outside, declared as protocols the adapters implement:
`storage` (the unit of work and its repositories, implemented by `db/`) and `gateway` (Toss,
implemented by `gateway/`), with the records that cross each."""
