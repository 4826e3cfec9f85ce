META
key;value
description;Hand-made ordinal election
num_projects;3
num_votes;3
budget;9
vote_type;ordinal
max_length;3
PROJECTS
project_id;cost;name
p;5;P
q;4;Q
r;3;R
VOTES
voter_id;vote
1;p,q,r
2;q,p
3;r
