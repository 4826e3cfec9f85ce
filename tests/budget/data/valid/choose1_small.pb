META
key;value
description;Hand-made choose-1 election
num_projects;3
num_votes;4
budget;10
vote_type;choose-1
PROJECTS
project_id;cost;name
1;5;One
2;6;Two
10;4;Ten
VOTES
voter_id;vote
1;1
2;2
3;10
4;2
