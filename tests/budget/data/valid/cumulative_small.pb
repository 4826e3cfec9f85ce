META
key;value
description;Hand-made cumulative election
num_projects;3
num_votes;3
budget;10
vote_type;cumulative
max_sum_points;5
PROJECTS
project_id;cost;name
x;6;X
y;5;Y
z;4;Z
VOTES
voter_id;vote;points
1;x,y;3,2
2;y;5
3;z,x;4,1
