-- One visit per wrk thread: keep the session cookie the site sets, so each
-- "More songs" request continues the visit (page 1, 2, 3, ...).
done = require("report").done

function request()
  return wrk.format()
end

function response(status, headers, body)
  local set = headers["Set-Cookie"]
  if set then
    -- wrk.format() sends wrk.headers: the thread's next request carries it.
    wrk.headers["Cookie"] = set:match("^([^;]+)")
  end
end
