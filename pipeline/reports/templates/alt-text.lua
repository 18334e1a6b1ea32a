-- Quarto writes an image's `fig-alt` attribute as its alt text; plain pandoc does not.
-- This filter gives the fallback renderer the same behaviour.
function Image(img)
  local alt = img.attributes["fig-alt"]
  if alt then
    img.attributes["fig-alt"] = nil
    img.attributes["alt"] = alt
  end
  return img
end
