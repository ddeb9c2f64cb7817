<?xml version="1.0" encoding="UTF-8"?>
<!-- The standard-tools peer (bench/peer/README.md), step 2 of 5: withholds the portions the
     destination may not see and recomputes the banner from what remains, as an administrator
     would write it for the bench policy (bench/policy/policy.yaml) in XSLT 1.0 for xsltproc.
     Parameters: the destination's classifications (levels) and holdings (holds), each a
     space-separated list with a space at both ends. Caveats as the policy declares them: NF
     needs USA, LES needs LES, SI and TK need SCI, PR is withheld from everyone. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:ism="urn:us:gov:ic:ism" xmlns:sluice="urn:sluice:guard:1">
  <xsl:output method="xml" encoding="UTF-8"/>
  <xsl:param name="levels" select="' U R C '"/>
  <xsl:param name="holds" select="' USA LES '"/>

  <!-- Portions kept: every labelled element below the banner none of whose labelled
       ancestors-or-self fails the destination's checks. -->
  <xsl:variable name="kept" select="//*[@ism:classification and not(@ism:resourceElement = 'true')
      and not(ancestor-or-self::*[@ism:classification and not(@ism:resourceElement = 'true') and (
        not(contains($levels, concat(' ', @ism:classification, ' ')))
        or contains(concat(' ', @ism:disseminationControls, ' '), ' PR ')
        or (contains(concat(' ', @ism:disseminationControls, ' '), ' NF ') and not(contains($holds, ' USA ')))
        or (contains(concat(' ', @ism:disseminationControls, ' '), ' LES ') and not(contains($holds, ' LES ')))
        or ((contains(concat(' ', @ism:SCIcontrols, ' '), ' SI ') or contains(concat(' ', @ism:SCIcontrols, ' '), ' TK '))
            and not(contains($holds, ' SCI ')))
        or (@ism:releasableTo and not(contains(concat(' ', @ism:releasableTo, ' '), ' USA ') and contains($holds, ' USA ')))
      )])]"/>

  <xsl:template match="@*|node()">
    <xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy>
  </xsl:template>
  <xsl:template match="comment()|processing-instruction()"/>

  <xsl:template match="*[@ism:classification and not(@ism:resourceElement = 'true')]">
    <xsl:choose>
      <xsl:when test="count(. | $kept) = count($kept)">
        <xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy>
      </xsl:when>
      <xsl:otherwise><sluice:withheld/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- The banner, recomputed: the highest classification kept, the union of the caveats kept. -->
  <xsl:template match="*[@ism:resourceElement = 'true']">
    <xsl:copy>
      <xsl:apply-templates select="@*[not(local-name() = 'classification' or local-name() = 'disseminationControls'
          or local-name() = 'SCIcontrols' or local-name() = 'releasableTo')]"/>
      <xsl:attribute name="ism:classification">
        <xsl:choose>
          <xsl:when test="$kept[@ism:classification = 'TS']">TS</xsl:when>
          <xsl:when test="$kept[@ism:classification = 'S']">S</xsl:when>
          <xsl:when test="$kept[@ism:classification = 'C']">C</xsl:when>
          <xsl:when test="$kept[@ism:classification = 'R']">R</xsl:when>
          <xsl:otherwise>U</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <xsl:variable name="dissem" select="normalize-space(concat(
          substring('FOUO ', 1, 5 * boolean($kept[contains(concat(' ', @ism:disseminationControls, ' '), ' FOUO ')])),
          substring('LES ', 1, 4 * boolean($kept[contains(concat(' ', @ism:disseminationControls, ' '), ' LES ')])),
          substring('NF ', 1, 3 * boolean($kept[contains(concat(' ', @ism:disseminationControls, ' '), ' NF ')])),
          substring('REL ', 1, 4 * boolean($kept[contains(concat(' ', @ism:disseminationControls, ' '), ' REL ')]))))"/>
      <xsl:if test="$dissem != ''">
        <xsl:attribute name="ism:disseminationControls"><xsl:value-of select="$dissem"/></xsl:attribute>
      </xsl:if>
      <xsl:if test="contains(concat(' ', $dissem, ' '), ' REL ')">
        <xsl:attribute name="ism:releasableTo">USA</xsl:attribute>
      </xsl:if>
      <xsl:apply-templates select="node()"/>
    </xsl:copy>
  </xsl:template>
</xsl:stylesheet>
