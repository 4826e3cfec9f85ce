META
key;value
description;Scoring ballots, decimal costs and points
num_projects;2
num_votes;2
budget;10.5
vote_type;scoring
PROJECTS
project_id;cost;name
s;4.25;S
t;6,5;T
VOTES
voter_id;vote;points
1;s,t;1.5,2
2;t;3
